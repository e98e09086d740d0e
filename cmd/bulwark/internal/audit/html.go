package audit

import "io"

// WriteHTML is a placeholder until the HTML report lands.
func WriteHTML(w io.Writer, r *Report) error { return nil }
