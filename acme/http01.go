package acme

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"
)

// httpSolver is the standalone plugin's web server: it answers
// /.well-known/acme-challenge/TOKEN with the key authorization of each
// http-01 challenge it holds, and 404 to everything else.
type httpSolver struct {
	mu     sync.Mutex
	tokens map[string]string
	srv    *http.Server
	ln     net.Listener
	done   chan struct{}
}

const challengePrefix = "/.well-known/acme-challenge/"

func (h *httpSolver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead || !strings.HasPrefix(r.URL.Path, challengePrefix) {
		http.NotFound(w, r)
		return
	}
	h.mu.Lock()
	ka, ok := h.tokens[strings.TrimPrefix(r.URL.Path, challengePrefix)]
	h.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte(ka))
}

// startHTTP starts the standalone server on addr (":80" when empty). A
// taken port fails with an error wrapping ErrPortInUse that names the
// holder where the system tells.
func startHTTP(addr string) (*httpSolver, error) {
	if addr == "" {
		addr = ":80"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			msg := fmt.Sprintf("%s is taken", addr)
			if _, port, perr := net.SplitHostPort(addr); perr == nil {
				if who := portHolder(port); who != "" {
					msg += " by " + who
				}
			}
			return nil, fmt.Errorf("acme: standalone plugin: %w: %s; stop the other listener (there must be no other listener on port 80) or use a dns plugin", ErrPortInUse, msg)
		}
		return nil, fmt.Errorf("acme: standalone plugin: %w", err)
	}
	h := &httpSolver{tokens: map[string]string{}, ln: ln, done: make(chan struct{})}
	h.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(h.done)
		h.srv.Serve(ln)
	}()
	return h, nil
}

func (h *httpSolver) add(token, keyAuth string) {
	h.mu.Lock()
	h.tokens[token] = keyAuth
	h.mu.Unlock()
}

func (h *httpSolver) remove(token string) {
	h.mu.Lock()
	delete(h.tokens, token)
	h.mu.Unlock()
}

// Addr returns the address the server listens on.
func (h *httpSolver) Addr() net.Addr { return h.ln.Addr() }

func (h *httpSolver) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.srv.Shutdown(ctx)
	<-h.done
}
