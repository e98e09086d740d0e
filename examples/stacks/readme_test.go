package stacks

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// snippetRE finds the README's tested snippets: a marker comment naming a
// file of the repository and a Go function in it (or a region in any file
// between a "snippet:NAME" line and an "end snippet" line), followed by a
// fenced code block.
var snippetRE = regexp.MustCompile("(?s)<!-- snippet: (\\S+) (\\S+) -->\n```[a-z]*\n(.*?)```")

// The README's "Use with …" snippets are the code these tests run: each
// marked block must be exactly the function or region it names.
func TestReadmeSnippetsAreTestedCode(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	found := snippetRE.FindAllSubmatch(readme, -1)
	if len(found) < 5 {
		t.Fatalf("found %d marked snippets in README.md; the Use with … section marks one per stack", len(found))
	}
	for _, m := range found {
		file, name, block := string(m[1]), string(m[2]), string(m[3])
		t.Run(file+" "+name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("../..", file))
			if err != nil {
				t.Fatal(err)
			}
			var want string
			if strings.HasSuffix(file, ".go") && !strings.HasPrefix(name, "snippet:") {
				want = goFunc(t, src, name)
			} else {
				want = region(t, src, name)
			}
			if strings.TrimSpace(block) != strings.TrimSpace(want) {
				t.Errorf("README block differs from %s %s; paste this:\n%s", file, name, want)
			}
		})
	}
}

// goFunc returns the source of the function called name in src.
func goFunc(t *testing.T, src []byte, name string) string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == name {
			return string(src[fset.Position(fn.Pos()).Offset:fset.Position(fn.End()).Offset])
		}
	}
	t.Fatalf("no func %s", name)
	return ""
}

// region returns the lines between the line holding name and the next
// line holding "end snippet", without the tabs they all start with.
func region(t *testing.T, src []byte, name string) string {
	var out []string
	in := false
	for line := range bytes.Lines(src) {
		switch s := string(line); {
		case !in && strings.Contains(s, name):
			in = true
		case in && strings.Contains(s, "end snippet"):
			return dedent(out)
		case in:
			out = append(out, s)
		}
	}
	t.Fatalf("no region %s … end snippet", name)
	return ""
}

// dedent removes the leading tabs that every non-blank line has.
func dedent(lines []string) string {
	common := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if n := len(l) - len(strings.TrimLeft(l, "\t")); common < 0 || n < common {
			common = n
		}
	}
	var b strings.Builder
	for _, l := range lines {
		if len(l) >= common && common > 0 && strings.TrimSpace(l) != "" {
			l = l[common:]
		}
		b.WriteString(l)
	}
	return b.String()
}
