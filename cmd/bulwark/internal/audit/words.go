package audit

import (
	"maps"
	"net/url"
	"slices"
	"strings"
	"unicode"
)

// changingWords are words that, in a path or a label, say the request
// changes state. Compound forms ("logout", "signout") are listed whole.
var changingWords = map[string]bool{
	"logout": true, "logoff": true, "signout": true, "delete": true, "remove": true,
	"destroy": true, "unsubscribe": true, "unsub": true, "revoke": true, "disable": true,
	"deactivate": true, "approve": true, "reject": true, "transfer": true, "purge": true,
	"clear": true, "erase": true, "ban": true, "wipe": true, "trash": true, "kick": true,
	"unfollow": true, "vote": true, "rm": true, "del": true, "cancel": true, "unlink": true,
	"suspend": true, "terminate": true, "drop": true, "toggle": true, "restart": true,
	"block": true, "unblock": true,
}

// strongVerbs also count at the start of a longer word with one of
// objectWords after them ("deleteall", "removeitem"), which camelCase
// splitting misses in lower-case paths.
var strongVerbs = []string{"logout", "signout", "logoff", "delete", "remove", "destroy", "unsubscribe"}

var objectWords = []string{"all", "now", "me", "it", "account", "accounts", "item", "items", "user", "users",
	"post", "posts", "everything", "session", "sessions", "file", "files", "row", "rows", "entry", "entries"}

// pairs are two words that mean one changing word.
var pairs = map[[2]string]string{{"log", "out"}: "logout", {"sign", "out"}: "signout", {"log", "off"}: "logoff"}

// changingWord returns the first state-changing word in the URL's path
// and query or in the label ("" if none).
func changingWord(u *url.URL, label string) string {
	var parts []string
	if u != nil {
		parts = append(parts, u.Path)
		q := u.Query()
		for _, k := range slices.Sorted(maps.Keys(q)) {
			parts = append(parts, k)
			parts = append(parts, q[k]...)
		}
	}
	// A long label is prose, not an action's name.
	if len(strings.Fields(label)) <= 4 {
		parts = append(parts, label)
	}
	for _, part := range parts {
		if w := firstChangingWord(part); w != "" {
			return w
		}
	}
	return ""
}

func firstChangingWord(s string) string {
	ws := words(s)
	for i, w := range ws {
		if i+1 < len(ws) && pairs[[2]string{w, ws[i+1]}] != "" {
			return pairs[[2]string{w, ws[i+1]}]
		}
		if changingWords[w] {
			return w
		}
		for _, v := range strongVerbs {
			// "deleteall", not "deleted", "deletes" or "deletion-policy".
			if rest, ok := strings.CutPrefix(w, v); ok && slices.Contains(objectWords, rest) {
				return v
			}
		}
	}
	return ""
}

// words splits s into lower-case words at every non-letter and at every
// lower-to-upper change ("deleteAccount" is "delete", "account").
func words(s string) []string {
	var out []string
	var cur []rune
	prevLower := false
	for _, r := range s {
		switch {
		case !unicode.IsLetter(r):
			out, cur = flushWord(out, cur), cur[:0]
			prevLower = false
			continue
		case unicode.IsUpper(r) && prevLower:
			out, cur = flushWord(out, cur), cur[:0]
		}
		cur = append(cur, unicode.ToLower(r))
		prevLower = unicode.IsLower(r)
	}
	return flushWord(out, cur)
}

func flushWord(out []string, cur []rune) []string {
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out
}

// endsSession reports whether the word is one of logging out.
func endsSession(word string) bool {
	return word == "logout" || word == "logoff" || word == "signout"
}
