// This file holds the client address used as a throttling key.

package auth

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// parseTrustedProxies parses Config.TrustedProxies.
func parseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("auth: trusted proxy %q: want an IP address or CIDR prefix such as 10.0.0.0/8", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

func trusted(a netip.Addr, proxies []netip.Prefix) bool {
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr returns the address the request came from: the IP of
// RemoteAddr, or, when that peer is a trusted proxy, the right-most
// X-Forwarded-For entry that is not a trusted proxy. X-Forwarded-For is
// never read unless proxies are configured: anyone can send it.
func clientAddr(r *http.Request, proxies []netip.Prefix) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	addr = addr.Unmap().WithZone("")
	if len(proxies) == 0 || !trusted(addr, proxies) {
		return addr
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return addr // garbage beyond the trusted hops: the last trusted one is the best we know
		}
		addr = a.Unmap().WithZone("")
		if !trusted(addr, proxies) {
			return addr
		}
	}
	return addr
}

// addrKey is the throttling key for an address. IPv6 clients are keyed by
// their /64, since one subscriber usually holds a whole /64.
func addrKey(a netip.Addr) string {
	if !a.IsValid() {
		return "addr:unknown"
	}
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "addr:" + p.String()
	}
	return "addr:" + a.String()
}
