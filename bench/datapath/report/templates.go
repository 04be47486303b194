package main

import (
	"embed"
	"strings"
	"text/template"
)

// The report's prose lives in templates/*.md.tmpl; figures and tables are
// built in Go.
//
//go:embed templates/*.md.tmpl
var templateFS embed.FS

var prose = template.Must(template.New("").Funcs(template.FuncMap{
	"num":     num,
	"pct":     pct,
	"joinAnd": joinAnd,
}).ParseFS(templateFS, "templates/*.md.tmpl"))

// execute renders the named template and returns it without surrounding
// blank space; a template error is a bug in the report and panics.
func tmpl(name string, data any) string {
	var b strings.Builder
	if err := prose.ExecuteTemplate(&b, name, data); err != nil {
		panic(err)
	}
	return strings.TrimSpace(b.String())
}
