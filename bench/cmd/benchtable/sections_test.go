package main

import "testing"

func TestKeepSections(t *testing.T) {
	load := "<!-- scripts/load: begin -->\n## Load\n\n| a | b |\n<!-- scripts/load: end -->"
	scale := "<!-- scripts/load-scale: begin -->\nscale figures\n<!-- scripts/load-scale: end -->"
	for _, tc := range []struct{ name, old, want string }{
		{"no old file", "", "# New\n"},
		{"no sections", "# Old\n\nold tables\n", "# New\n"},
		{"one section", "# Old\n\n" + load + "\n", "# New\n\n" + load + "\n"},
		{"sections of several scripts, in order", "# Old\n" + load + "\nbetween\n" + scale + "\ntrailer\n",
			"# New\n\n" + load + "\n\n" + scale + "\n"},
		{"end marker of another script does not close", "<!-- scripts/load: begin -->\nx\n<!-- scripts/other: end -->\ny\n<!-- scripts/load: end -->\n",
			"# New\n\n<!-- scripts/load: begin -->\nx\n<!-- scripts/other: end -->\ny\n<!-- scripts/load: end -->\n"},
		{"missing end marker keeps the rest", "# Old\n<!-- scripts/load: begin -->\nhalf written\n",
			"# New\n\n<!-- scripts/load: begin -->\nhalf written\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := KeepSections(tc.old, "# New\n"); got != tc.want {
				t.Errorf("KeepSections:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}
