// This file keeps the sections other scripts write into the same file
// (scripts/load and its siblings) when benchtable rewrites it.

package main

import (
	"regexp"
	"strings"
)

// sectionBegin matches a section's opening marker, <!-- scripts/NAME: begin -->;
// the section runs to the matching <!-- scripts/NAME: end -->.
var sectionBegin = regexp.MustCompile(`<!-- scripts/([A-Za-z0-9._-]+): begin -->`)

// KeepSections returns doc followed by every scripts/NAME section of old,
// markers included, in old's order. A section whose end marker is missing
// is kept to the end of old rather than lost.
func KeepSections(old, doc string) string {
	var kept []string
	for rest := old; ; {
		loc := sectionBegin.FindStringSubmatchIndex(rest)
		if loc == nil {
			break
		}
		end := "<!-- scripts/" + rest[loc[2]:loc[3]] + ": end -->"
		n := strings.Index(rest[loc[1]:], end)
		if n < 0 {
			kept = append(kept, strings.TrimRight(rest[loc[0]:], "\n"))
			break
		}
		stop := loc[1] + n + len(end)
		kept = append(kept, rest[loc[0]:stop])
		rest = rest[stop:]
	}
	if len(kept) == 0 {
		return doc
	}
	return strings.TrimRight(doc, "\n") + "\n\n" + strings.Join(kept, "\n\n") + "\n"
}
