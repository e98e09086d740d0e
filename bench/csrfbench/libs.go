package csrfbench

// bulwarkLibs is filled in by bulwark.go (Bulwark full and tokenless).
var bulwarkLibs []func() (Lib, error)

// Libs returns every library in table order: the baseline, the peers, then
// Bulwark.
func Libs() ([]Lib, error) {
	libs := []Lib{Bare(), CrossOriginProtection(), Filippo(), Gorilla(), Nosurf()}
	for _, mk := range bulwarkLibs {
		l, err := mk()
		if err != nil {
			return nil, err
		}
		libs = append(libs, l)
	}
	return libs, nil
}
