package main

// Fault injection for retry tests: make chosen SOAP calls fail the way a flaky network or a busy vCenter does.
//
//   POST /_faults        {"method": "RetrieveAllPermissions", "count": 1, "kind": "drop"}   arm a fault
//   GET  /_faults        pending faults
//   POST /_faults/reset  clear them
//
// kinds: "drop" closes the connection before the call runs (connection reset, nothing done); "drop_after" runs
// the call and closes the connection instead of answering (the write happened, the client never heard);
// "503" answers HTTP 503 Service Unavailable without running the call. Each armed fault fires on the next "count"
// calls of that method. Hooked in main.go with one call: withFaults(handler).

import (
	"bytes"
	"encoding/json"
	"io/ioutil"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

type armedFault struct {
	Method string `json:"method"`
	Count  int    `json:"count"`
	Kind   string `json:"kind"`
}

type faultInjector struct {
	mu     sync.Mutex
	faults []*armedFault
}

var faults = &faultInjector{}

func withFaults(next http.Handler) http.Handler { return faults.wrap(next) }

func (f *faultInjector) take(method string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.faults {
		if a.Method == method && a.Count > 0 {
			a.Count--
			return a.Kind
		}
	}
	return ""
}

func (f *faultInjector) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/_faults" && r.Method == http.MethodPost:
			var a armedFault
			if err := json.NewDecoder(r.Body).Decode(&a); err != nil || a.Method == "" ||
				(a.Kind != "drop" && a.Kind != "drop_after" && a.Kind != "503") {
				http.Error(w, `want {"method": "...", "count": N, "kind": "drop|drop_after|503"}`, http.StatusBadRequest)
				return
			}
			if a.Count <= 0 {
				a.Count = 1
			}
			f.mu.Lock()
			f.faults = append(f.faults, &a)
			f.mu.Unlock()
			fallthrough
		case r.URL.Path == "/_faults" && r.Method == http.MethodGet:
			f.mu.Lock()
			out, _ := json.Marshal(f.faults)
			f.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(out)
			return
		case r.URL.Path == "/_faults/reset" && r.Method == http.MethodPost:
			f.mu.Lock()
			f.faults = nil
			f.mu.Unlock()
			_, _ = w.Write([]byte("[]"))
			return
		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/sdk"):
			body, err := ioutil.ReadAll(r.Body)
			_ = r.Body.Close()
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = ioutil.NopCloser(bytes.NewReader(body))
			switch f.take(soapMethod(body)) {
			case "drop":
				hangUp(w)
				return
			case "503":
				http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
				return
			case "drop_after":
				next.ServeHTTP(httptest.NewRecorder(), r)
				hangUp(w)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// hangUp closes the client connection without an HTTP response.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
