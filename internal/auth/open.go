package auth

import "net/http"

// Open accepts every request as the principal "anonymous", allowed every
// model. It exists for `converse serve -insecure-no-auth`; the command logs
// a warning when it is used. It never inspects credentials.
type Open struct{}

// Identify implements the server's Authenticator: every request is
// anonymous, before and after its body is read.
func (Open) Identify(*http.Request) (*Pending, error) {
	return &Pending{id: Identity{Principal: &Principal{Name: "anonymous", Models: []string{"*"}}}, proven: true}, nil
}

// Authenticate returns the anonymous principal.
func (o Open) Authenticate(r *http.Request, _ []byte) (*Principal, error) {
	p, _ := o.Identify(r)
	return p.Principal(), nil
}
