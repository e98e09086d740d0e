// template.go holds what pages use to carry the token: the HTML helpers
// around Token and FormToken, and the template.FuncMap.

package csrf

import (
	"html/template"
	"net/http"
)

// TemplateField returns the hidden input carrying Token(r), for a form:
//
//	<input type="hidden" name="csrf_token" value="...">
//
// It returns "" when Token(r) does.
func TemplateField(r *http.Request) template.HTML {
	return field(r, Token(r))
}

// FormField is TemplateField for FormToken(r, method, action).
func FormField(r *http.Request, method, action string) template.HTML {
	return field(r, FormToken(r, method, action))
}

func field(r *http.Request, tok string) template.HTML {
	if tok == "" {
		return ""
	}
	// The field name is restricted to [A-Za-z0-9_.-] by New and the token
	// is base64url, so neither needs escaping.
	return template.HTML(`<input type="hidden" name="` + fromContext(r).p.fieldName + `" value="` + tok + `">`)
}

// MetaTag returns a meta element carrying Token(r), for scripts:
//
//	<meta name="csrf-token" content="...">
//
// See the package documentation for the fetch and htmx snippets.
func MetaTag(r *http.Request) template.HTML {
	tok := Token(r)
	if tok == "" {
		return ""
	}
	return template.HTML(`<meta name="csrf-token" content="` + tok + `">`)
}

// HXHeaders returns an hx-headers attribute that makes htmx send the token
// header with every request from the element and its descendants:
//
//	<body {{csrfHxHeaders .Request}}> → <body hx-headers='{"X-CSRF-Token":"..."}'>
func HXHeaders(r *http.Request) template.HTMLAttr {
	tok := Token(r)
	if tok == "" {
		return ""
	}
	return template.HTMLAttr(`hx-headers='{"` + fromContext(r).p.headerLabel + `":"` + tok + `"}'`)
}

// FuncMap returns template functions, each taking the *http.Request:
//
//	csrfField     TemplateField   {{ csrfField .Request }}
//	csrfToken     Token           {{ csrfToken .Request }}
//	csrfMeta      MetaTag         {{ csrfMeta .Request }}
//	csrfFormField FormField       {{ csrfFormField .Request "POST" "/items" }}
//	csrfHxHeaders HXHeaders       <body {{ csrfHxHeaders .Request }}>
func FuncMap() template.FuncMap {
	return template.FuncMap{
		"csrfField":     TemplateField,
		"csrfToken":     Token,
		"csrfMeta":      MetaTag,
		"csrfFormField": FormField,
		"csrfHxHeaders": HXHeaders,
	}
}
