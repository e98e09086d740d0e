package csrfbench

import (
	"io"
	"log/slog"

	"github.com/bulwark-go/bulwark/csrf"
)

func init() {
	bulwarkLibs = append(bulwarkLibs, BulwarkFull, BulwarkTokenless, BulwarkFullLogged)
}

// BulwarkFull is Bulwark's csrf in its default mode: the origin layers and
// the masked token, secret in a signed cookie.
func BulwarkFull() (Lib, error) {
	return bulwarkFull("bulwark-full", slog.DiscardHandler)
}

// BulwarkFullLogged is BulwarkFull with a real log handler: a
// slog.TextHandler writing to io.Discard, so that a rejection pays for
// formatting its WARN line. Measured on the cross-site POST only, where it
// shows what the log line costs.
func BulwarkFullLogged() (Lib, error) {
	lib, err := bulwarkFull("bulwark-full-logged", slog.NewTextHandler(io.Discard, nil))
	lib.Only = []string{CrossSite}
	return lib, err
}

func bulwarkFull(name string, logs slog.Handler) (Lib, error) {
	p, err := csrf.New(csrf.Config{Key: benchKey, Logger: slog.New(logs)})
	if err != nil {
		return Lib{}, err
	}
	return Lib{
		Name:                 name,
		Wrap:                 p.Handler,
		Token:                csrf.Token,
		Field:                "csrf_token",
		NoSetCookieOnReject:  true,
		NoSetCookieOnRevisit: true,
	}, nil
}

// BulwarkTokenless is Bulwark's csrf with the origin layers only.
func BulwarkTokenless() (Lib, error) {
	p, err := csrf.New(csrf.Config{Key: benchKey, Mode: csrf.Tokenless, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return Lib{}, err
	}
	return Lib{
		Name:                "bulwark-tokenless",
		Wrap:                p.Handler,
		NoSetCookieOnReject: true,
	}, nil
}
