package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io/ioutil"
	"net/http"
	"strings"
	"sync"
)

// soapStats counts SOAP requests by method name: the local name of the first child element
// of soapenv:Body (e.g. RetrievePropertiesEx, Fetch, SetEntityPermissions).
type soapStats struct {
	mu      sync.Mutex
	total   int64
	methods map[string]int64
	rest    map[string]int64 // vAPI REST calls ("POST /rest/.../tag-association?~action=..."), not in total
}

func newSOAPStats() *soapStats {
	return &soapStats{methods: map[string]int64{}, rest: map[string]int64{}}
}

func (s *soapStats) add(method string) {
	s.mu.Lock()
	s.total++
	s.methods[method]++
	s.mu.Unlock()
}

func (s *soapStats) snapshot() map[string]interface{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]int64, len(s.methods))
	for k, v := range s.methods {
		m[k] = v
	}
	r := make(map[string]int64, len(s.rest))
	for k, v := range s.rest {
		r[k] = v
	}
	return map[string]interface{}{"total": s.total, "methods": m, "rest": r}
}

func (s *soapStats) reset() {
	s.mu.Lock()
	s.total = 0
	s.methods = map[string]int64{}
	s.rest = map[string]int64{}
	s.mu.Unlock()
}

// soapMethod returns the local name of the first element inside the SOAP Body.
func soapMethod(body []byte) string {
	d := xml.NewDecoder(bytes.NewReader(body))
	inBody := false
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok {
			if inBody {
				return se.Name.Local
			}
			inBody = se.Name.Local == "Body"
		}
	}
}

// wrap serves /_stats (GET: JSON counters, POST /_stats/reset: zero them) and counts every
// POST to /sdk* before handing it to next. /_stats itself is never counted.
func (s *soapStats) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/_stats" && r.Method == http.MethodGet:
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(s.snapshot())
			return
		case r.URL.Path == "/_stats/reset" && r.Method == http.MethodPost:
			s.reset()
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(s.snapshot())
			return
		case strings.HasPrefix(r.URL.Path, "/_stats"):
			http.Error(w, "GET /_stats or POST /_stats/reset", http.StatusMethodNotAllowed)
			return
		case strings.HasPrefix(r.URL.Path, "/rest/") || strings.HasPrefix(r.URL.Path, "/api/"):
			s.addREST(r)
		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/sdk"):
			body, err := ioutil.ReadAll(r.Body)
			_ = r.Body.Close()
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			method := soapMethod(body)
			if method == "" {
				method = "(unparsed)"
			}
			s.add(method)
			r.Body = ioutil.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		next.ServeHTTP(w, r)
	})
}

// addREST counts a vAPI REST call as "METHOD /path?action", ids ("id:...") replaced by "id:{id}".
func (s *soapStats) addREST(r *http.Request) {
	parts := strings.Split(r.URL.Path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "id:") {
			parts[i] = "id:{id}"
		}
	}
	key := r.Method + " " + strings.Join(parts, "/")
	if a := r.URL.Query().Get("~action"); a != "" {
		key += "?~action=" + a
	}
	s.mu.Lock()
	s.rest[key]++
	s.mu.Unlock()
}
