package main

import (
	"embed"
	"fmt"
	"regexp"
	"strings"
	"text/template"
)

// BENCHMARKS.md's prose lives in templates/*.md.tmpl; the Go code computes
// the figures (and formats the table cells) they are filled with.
//
//go:embed templates/*.md.tmpl
var templateFS embed.FS

var prose = template.Must(template.New("").Option("missingkey=error").Funcs(template.FuncMap{
	"num":     func(v any, decimals int) string { return num(toFloat(v), decimals) },
	"pct":     pct,
	"signed":  signed,
	"joinAnd": joinAnd,
	"join":    strings.Join,
	"row":     mdRow,
	"rcNum":   rcNum,
	"short":   short,
	// sep is what goes before item i of n in "a, b and c".
	"sep": func(i, n int) string {
		switch i {
		case 0:
			return ""
		case n - 1:
			return " and "
		}
		return ", "
	},
}).ParseFS(templateFS, "templates/*.md.tmpl"))

// toFloat lets the templates format counts as well as measurements.
func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case float64:
		return x
	}
	panic(fmt.Sprintf("num: %T is not a number", v))
}

// blankLines are two or more empty lines; a template may leave them
// between its blocks, the document has one.
var blankLines = regexp.MustCompile(`\n{3,}`)

// render executes the named template and returns it without surrounding
// blank space and with single blank lines between blocks; a template error
// is a bug in the report and panics.
func render(name string, data any) string {
	var b strings.Builder
	if err := prose.ExecuteTemplate(&b, name, data); err != nil {
		panic(err)
	}
	return strings.TrimSpace(blankLines.ReplaceAllString(b.String(), "\n\n"))
}
