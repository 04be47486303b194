package v1alpha1

import (
	"os"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

// readmeTables maps the headings of README.md's "Reasons" tables to the
// reporter whose remedies their last column shows.
var readmeTables = map[string]Reporter{
	"### Live handshake":         ByProbe,
	"### Certificate inspection": ByInspect,
	"### Operator":               ByOperator,
}

// TestReadmeShowsTheRemedies: every reason row of README.md's three
// "Reasons" tables has the table's remedy in its last column ("–" where
// there is none), and every remedy has its row.
func TestReadmeShowsTheRemedies(t *testing.T) {
	g := NewWithT(t)
	b, err := os.ReadFile("../../README.md")
	g.Expect(err).NotTo(HaveOccurred())
	_, section, ok := strings.Cut(string(b), "\n## Reasons\n")
	g.Expect(ok).To(BeTrue(), `README.md has no "## Reasons" section`)
	section, _, _ = strings.Cut(section, "\n## ")

	rows := map[Reporter]map[string]bool{}
	var by Reporter
	for line := range strings.SplitSeq(section, "\n") {
		if strings.HasPrefix(line, "### ") {
			by = ""
			for heading, r := range readmeTables {
				if strings.HasPrefix(line, heading) {
					by = r
				}
			}
			continue
		}
		if by == "" || !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := tableCells(line)
		reason := strings.Trim(cells[0], "`")
		want := Remedy(by, reason)
		got := strings.ReplaceAll(cells[len(cells)-1], "`", "")
		if got == "–" {
			got = ""
		}
		g.Expect(got).To(Equal(strings.ReplaceAll(want, "`", "")), "README.md, %s table, row %s: the remedy differs from remedies.go", by, reason)
		if rows[by] == nil {
			rows[by] = map[string]bool{}
		}
		g.Expect(rows[by]).NotTo(HaveKey(reason), "README.md, %s table: row %s twice", by, reason)
		rows[by][reason] = true
	}
	for _, by := range readmeTables {
		g.Expect(rows[by]).NotTo(BeEmpty(), "README.md: no %s table under \"## Reasons\"", by)
		for reason := range remedies[by] {
			g.Expect(rows[by]).To(HaveKey(reason), "README.md, %s table: no row for %s", by, reason)
		}
	}
}

// tableCells splits a markdown table row into its trimmed cells; `\|` is
// a pipe inside a cell.
func tableCells(line string) []string {
	line = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line), "|"), "|")
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cur.WriteByte('|')
			i++
		case line[i] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(line[i])
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

// Every live reason but Healthy, and every inspect reason, has a remedy;
// the table names no reason outside its reporter's vocabulary.
func TestRemediesCoverTheVocabulary(t *testing.T) {
	g := NewWithT(t)
	for _, r := range ProbeReasons {
		if r == ReasonHealthy {
			g.Expect(Remedy(ByProbe, r)).To(BeEmpty())
			continue
		}
		g.Expect(Remedy(ByProbe, r)).NotTo(BeEmpty(), r)
	}
	for _, r := range InspectReasons {
		g.Expect(Remedy(ByInspect, r)).NotTo(BeEmpty(), r)
	}
	for r := range remedies[ByProbe] {
		g.Expect(slices.Contains(ProbeReasons, r)).To(BeTrue(), "probe remedy for %s, which is not a probe reason", r)
	}
	for r := range remedies[ByInspect] {
		g.Expect(slices.Contains(InspectReasons, r)).To(BeTrue(), "inspect remedy for %s, which is not an inspect reason", r)
	}
	g.Expect(Remedy(ByProbe, "NoSuchReason")).To(BeEmpty())
	g.Expect(Remedy("nobody", ReasonUnknown)).To(BeEmpty())
}
