package chunkstore

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"ingot.dev/ingot/image/manifest"
)

// HandlerOptions tune NewHandler.
type HandlerOptions struct {
	// RateLimit caps the bytes per second sent to each client IP across all
	// its connections, to protect provisioning links; 0 means no limit.
	RateLimit int64
	// PublicKey, a PEM public key, is served at GET /v1/signing-key if set.
	PublicKey []byte
	Logger    *slog.Logger
}

type handler struct {
	store     Store
	manifests *Manifests
	limit     *limiter
	log       *slog.Logger
}

// NewHandler serves GET/HEAD/PUT /v1/chunks/{sha256} and GET
// /v1/images/{id}/manifest. Authentication is the caller's: wrap the handler.
func NewHandler(store Store, manifests *Manifests, opts HandlerOptions) http.Handler {
	h := &handler{store: store, manifests: manifests, log: opts.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if opts.RateLimit > 0 {
		h.limit = newLimiter(opts.RateLimit)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/chunks/{sha256}", h.getChunk) // GET patterns also match HEAD
	mux.HandleFunc("PUT /v1/chunks/{sha256}", h.putChunk)
	mux.HandleFunc("GET /v1/images/{id}/manifest", h.getManifest)
	if opts.PublicKey != nil {
		mux.HandleFunc("GET /v1/signing-key", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-pem-file")
			w.Write(opts.PublicKey)
		})
	}
	return mux
}

func (h *handler) getChunk(w http.ResponseWriter, r *http.Request) {
	d, err := manifest.ParseHash(r.PathValue("sha256"))
	if err != nil {
		problem(w, http.StatusBadRequest, "bad chunk digest", err.Error())
		return
	}
	rc, err := h.store.Get(r.Context(), d)
	if errors.Is(err, ErrNotFound) {
		problem(w, http.StatusNotFound, "chunk not found", "no chunk "+d.String()+" in this store")
		return
	}
	if err != nil {
		h.log.Error("opening chunk", "chunk", d.String(), "err", err)
		problem(w, http.StatusInternalServerError, "chunk store error", "")
		return
	}
	defer rc.Close()
	hd := w.Header()
	hd.Set("Content-Type", "application/zstd")
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	hd.Set("ETag", `"`+d.String()+`"`)
	if h.limit != nil {
		w = h.limit.writer(r, w)
	}
	if rs, ok := rc.(io.ReadSeeker); ok {
		http.ServeContent(w, r, "", time.Time{}, rs)
		return
	}
	if r.Method != http.MethodHead {
		io.Copy(w, rc)
	}
}

func (h *handler) putChunk(w http.ResponseWriter, r *http.Request) {
	d, err := manifest.ParseHash(r.PathValue("sha256"))
	if err != nil {
		problem(w, http.StatusBadRequest, "bad chunk digest", err.Error())
		return
	}
	err = h.store.Put(r.Context(), d, r.Body)
	switch {
	case err == nil:
		w.WriteHeader(http.StatusCreated)
	case errors.Is(err, ErrHashMismatch):
		problem(w, http.StatusUnprocessableEntity, "chunk does not match its digest", err.Error())
	case errors.Is(err, ErrTooLarge):
		problem(w, http.StatusRequestEntityTooLarge, "chunk too large", err.Error())
	default:
		h.log.Error("storing chunk", "chunk", d.String(), "err", err)
		problem(w, http.StatusInternalServerError, "chunk store error", "")
	}
}

func (h *handler) getManifest(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	data, err := h.manifests.Get(id)
	if errors.Is(err, ErrNoManifest) {
		problem(w, http.StatusNotFound, "image not found", err.Error())
		return
	}
	if err != nil {
		problem(w, http.StatusBadRequest, "bad image id", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("ETag", `"`+id+`"`)
	w.Write(data)
}

// problem writes an RFC 9457 problem+json response.
func problem(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"status": status, "title": title, "detail": detail, "type": "about:blank"})
}
