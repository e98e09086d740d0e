package sessionbench

import "errors"

// Constructor builds one library on one backend.
type Constructor func(env Env, backend string) (*Impl, error)

// bulwarkImpl is set by bulwark.go.
var bulwarkImpl Constructor

// Libs lists the libraries in table order.
func Libs() []string {
	if bulwarkImpl == nil {
		return []string{"scs"}
	}
	return []string{"scs", "bulwark"}
}

// New builds lib ("scs" or "bulwark") on backend.
func New(env Env, lib, backend string) (*Impl, error) {
	switch lib {
	case "scs":
		return NewSCS(env, backend)
	case "bulwark":
		if bulwarkImpl != nil {
			return bulwarkImpl(env, backend)
		}
	}
	return nil, errors.New("sessionbench: unknown library " + lib)
}
