package auth

import "net/http"

// Open accepts every request as the principal "anonymous", allowed every
// model. It exists for `converse serve -insecure-no-auth`; the command logs
// a warning when it is used. It never inspects credentials.
type Open struct{}

// Authenticate implements the server's Authenticator.
func (Open) Authenticate(*http.Request, []byte) (*Principal, error) {
	return &Principal{Name: "anonymous", Models: []string{"*"}}, nil
}
