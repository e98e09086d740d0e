// template.go holds what pages use to carry the token: the HTML helpers
// around Token and FormToken, each also in a form taking the request's
// context.Context (for templ and other component libraries), and the
// template.FuncMap.

package csrf

import (
	"context"
	"html/template"
	"net/http"
)

// TemplateField returns the hidden input carrying Token(r), for a form:
//
//	<input type="hidden" name="csrf_token" value="...">
//
// It returns "" when Token(r) does.
func TemplateField(r *http.Request) template.HTML {
	st := tokenState(r)
	return field(st, stateToken(st))
}

// FieldFromContext is TemplateField for code that holds the request's
// context rather than the request, such as a templ component:
//
//	@templ.Raw(csrf.FieldFromContext(ctx))
//
// It returns "" when TokenFromContext(ctx) does.
func FieldFromContext(ctx context.Context) template.HTML {
	st := contextTokenState(ctx)
	return field(st, stateToken(st))
}

// FormField is TemplateField for FormToken(r, method, action).
func FormField(r *http.Request, method, action string) template.HTML {
	st := tokenState(r)
	return field(st, stateFormToken(st, method, action))
}

// FormFieldFromContext is FormField for code that holds the request's
// context rather than the request (see FieldFromContext).
func FormFieldFromContext(ctx context.Context, method, action string) template.HTML {
	st := contextTokenState(ctx)
	return field(st, stateFormToken(st, method, action))
}

// field is the hidden input carrying tok, which st rendered ("": none).
func field(st *state, tok string) template.HTML {
	if tok == "" {
		return ""
	}
	// The field name is restricted to [A-Za-z0-9_.-] by New and the token
	// is base64url, so neither needs escaping.
	return template.HTML(`<input type="hidden" name="` + st.p.fieldName + `" value="` + tok + `">`)
}

// MetaTag returns a meta element carrying Token(r), for scripts:
//
//	<meta name="csrf-token" content="...">
//
// See the package documentation for the fetch and htmx snippets.
func MetaTag(r *http.Request) template.HTML {
	return metaTag(stateToken(tokenState(r)))
}

// MetaTagFromContext is MetaTag for code that holds the request's context
// rather than the request (see FieldFromContext).
func MetaTagFromContext(ctx context.Context) template.HTML {
	return metaTag(stateToken(contextTokenState(ctx)))
}

func metaTag(tok string) template.HTML {
	if tok == "" {
		return ""
	}
	return template.HTML(`<meta name="csrf-token" content="` + tok + `">`)
}

// HXHeaders returns the attributes that make htmx send the token header
// with every request from the element and its descendants, in htmx 2
// (hx-headers, inherited implicitly) and htmx 4 (which inherits only
// hx-headers:inherited):
//
//	<main {{ csrfHxHeaders .Request }}>
//	→ <main hx-headers='{"X-CSRF-Token":"..."}' hx-headers:inherited='{"X-CSRF-Token":"..."}'>
//
// Put it on an element that is replaced whenever the secret changes, not
// on <body> when the page uses hx-boost: a boosted navigation or form
// (such as the login form, after which the secret is new) swaps the
// body's content but keeps the body's attributes, so an hx-headers on
// <body> keeps the old token and the next request fails with
// ErrTokenMismatch. An element inside the body, around the content, is
// replaced with it. The same holds for an hx-post that logs in or out and
// swaps only part of the page: let it replace the element carrying the
// token too (or reload the page).
//
// In htmx 2 an element's own hx-headers merges with its ancestors'; in
// htmx 4 it replaces them, so there an element that adds headers of its
// own writes hx-headers:append to keep the token. It returns "" when
// Token(r) does.
func HXHeaders(r *http.Request) template.HTMLAttr {
	v := hxHeadersValue(tokenState(r))
	if v == "" {
		return ""
	}
	return template.HTMLAttr(`hx-headers='` + v + `' hx-headers:inherited='` + v + `'`)
}

// HXHeadersValueFromContext returns the value of an hx-headers attribute
// carrying a token, a JSON object such as {"X-CSRF-Token":"..."}, for
// code that holds the request's context rather than the request. In a
// templ component, for htmx 2 and 4 (see HXHeaders for where to put it):
//
//	<main hx-headers={ csrf.HXHeadersValueFromContext(ctx) } hx-headers:inherited={ csrf.HXHeadersValueFromContext(ctx) }>
//
// It returns "" when TokenFromContext(ctx) does.
func HXHeadersValueFromContext(ctx context.Context) string {
	return hxHeadersValue(contextTokenState(ctx))
}

// hxHeadersValue is the JSON object naming the token header. The header
// name is restricted to [A-Za-z0-9-] by New and the token is base64url,
// so neither needs escaping, in JSON or in a single-quoted attribute.
func hxHeadersValue(st *state) string {
	tok := stateToken(st)
	if tok == "" {
		return ""
	}
	return `{"` + st.p.headerLabel + `":"` + tok + `"}`
}

// FuncMap returns template functions, each taking the *http.Request:
//
//	csrfField     TemplateField   {{ csrfField .Request }}
//	csrfToken     Token           {{ csrfToken .Request }}
//	csrfMeta      MetaTag         {{ csrfMeta .Request }}
//	csrfFormField FormField       {{ csrfFormField .Request "POST" "/items" }}
//	csrfHxHeaders HXHeaders       <main {{ csrfHxHeaders .Request }}>
func FuncMap() template.FuncMap {
	return template.FuncMap{
		"csrfField":     TemplateField,
		"csrfToken":     Token,
		"csrfMeta":      MetaTag,
		"csrfFormField": FormField,
		"csrfHxHeaders": HXHeaders,
	}
}
