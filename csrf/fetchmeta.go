// fetchmeta.go holds layer 2, Fetch Metadata: the browser's own statement,
// in Sec-Fetch-Site, of where a request comes from.

package csrf

// checkFetchMetadata is layer 2. Sec-Fetch-Site "cross-site" or
// "same-site" (a sibling subdomain) is refused unless the request's Origin
// is trusted: a trusted origin may send requests from any site, as the
// operator asked. "same-origin", "none" and values future browsers may add
// pass on to the Origin layer. In Tokenless mode a request that carries
// none of Sec-Fetch-Site, Origin and Referer fails closed.
func (p *Protector) checkFetchMetadata(m *metadata) error {
	sfs := m.fetchSite
	switch {
	case len(sfs) > 1:
		return ErrRepeatedHeader
	case len(sfs) == 0:
		return p.checkAnyMetadata(m)
	}
	var reason error
	switch sfs[0] {
	case "cross-site":
		reason = ErrCrossSite
	case "same-site":
		reason = ErrSameSite
	default:
		return nil
	}
	switch len(m.origin) {
	case 0:
		return reason
	case 1:
		if o, ok := parseOrigin(m.origin[0]); ok && p.trusted(o) {
			return nil
		}
		return reason
	}
	return ErrRepeatedHeader
}

// checkAnyMetadata refuses, in Tokenless mode, a request without
// Sec-Fetch-Site that has no Origin or Referer either: nothing would be
// left to judge it by. Such requests come from non-browser clients or very
// old browsers (see Config.AllowMissingMetadata). Full mode lets them on to
// the token.
func (p *Protector) checkAnyMetadata(m *metadata) error {
	if p.mode == Full || p.allowMissing || len(m.origin)+len(m.referer) > 0 {
		return nil
	}
	return ErrNoMetadata
}
