// Package bulwarkgin runs Bulwark's middlewares (sessions, CSRF
// protection, auth), and any other net/http middleware, as gin
// middleware.
//
// The adapter people usually write — call the middleware with c.Writer
// and c.Request, and in its next handler set c.Request and call c.Next —
// is unsafe in two ways. When the middleware refuses a request (a forged
// POST gets 403) it never calls next, but gin still runs the rest of its
// chain, so the handler runs anyway. And gin's handlers write through
// c.Writer, which is still gin's own writer, around the middleware's: the
// session's cookie is added too late and silently dropped, and the CSRF
// Protector's headers never reach the response. Wrap does both right: a
// middleware that does not call next aborts gin's chain, and every handler
// after it writes through the writer the middleware passed on.
//
// Usage, in the order session → csrf → auth:
//
//	r := gin.New()
//	r.Use(bulwarkgin.Sessions(sessions), bulwarkgin.Protect(protector), bulwarkgin.Auth(authn))
//	r.POST("/notes", saveNote)
//	r.POST("/webhook", bulwarkgin.Exempt(webhook))
//
// gin routes a request before it runs any middleware, so the Protector,
// installed with r.Use, sees the route's handler and honours Exempt.
package bulwarkgin
