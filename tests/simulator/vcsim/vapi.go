package main

// vAPI REST session login with the simulator's credentials.
//
// govmomi 0.24.2's vapi simulator (vapi/simulator) serves /rest/com/vmware/cis/session and the
// tagging endpoints, but its session POST accepts any non-empty Basic user and password. vCenter
// answers a wrong password with 401 Unauthorized ("com.vmware.vapi.std.errors.unauthenticated").
// vapiLogin checks the credentials of POST .../cis/session (the login; "?~action=get" reads the
// current session) before handing the request on.

import (
	"net/http"
	"strings"
)

func vapiLogin(next http.Handler, username, password string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/com/vmware/cis/session") && r.URL.Query().Get("~action") == "" {
			u, p, ok := r.BasicAuth()
			if !ok || !strings.EqualFold(u, username) || p != password {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"type":"com.vmware.vapi.std.errors.unauthenticated","value":{"messages":[` +
					`{"id":"vapi.security.authentication.invalid","default_message":"Unable to authenticate user"}]}}`))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
