package emulator

import (
	"encoding/json"
	"net/http"
)

func (s *Server) mediaList(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, collection(managerPath+"/VirtualMedia", "VirtualMediaCollection", mediaPath))
}

func (s *Server) media(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	image, inserted := s.image, s.inserted
	s.mu.Unlock()
	var img any
	if image != "" {
		img = image
	}
	writeJSON(w, http.StatusOK, obj{"@odata.id": mediaPath, "@odata.type": "#VirtualMedia.v1_3_0.VirtualMedia",
		"Id": "CD1", "Name": "Virtual CD", "MediaTypes": []string{"CD", "DVD"}, "Image": img,
		"Inserted": inserted, "WriteProtected": true, "ConnectedVia": "URI",
		"Actions": obj{
			"#VirtualMedia.InsertMedia": obj{"target": mediaPath + "/Actions/VirtualMedia.InsertMedia"},
			"#VirtualMedia.EjectMedia":  obj{"target": mediaPath + "/Actions/VirtualMedia.EjectMedia"},
		}})
}

// Image returns the inserted image ("" when empty).
func (s *Server) Image() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.inserted {
		return ""
	}
	return s.image
}

func (s *Server) insert(w http.ResponseWriter, r *http.Request) {
	var body map[string]json.RawMessage
	if !decode(w, r, &body) {
		return
	}
	if s.quirks().RejectInserted {
		for _, f := range []string{"Inserted", "WriteProtected"} {
			if _, ok := body[f]; ok {
				writeError(w, http.StatusBadRequest, "Base.1.8.ActionParameterNotSupported", "The parameter "+f+" is not supported by InsertMedia")
				return
			}
		}
	}
	var image string
	if err := json.Unmarshal(body["Image"], &image); err != nil || image == "" {
		writeError(w, http.StatusBadRequest, "Base.1.8.ActionParameterMissing", "Image is required")
		return
	}
	s.insertImage(w, r, image)
}

func (s *Server) insertImage(w http.ResponseWriter, r *http.Request, image string) {
	if err := s.cfg.Machine.InsertMedia(r.Context(), image); err != nil {
		s.machineError(w, err)
		return
	}
	s.mu.Lock()
	s.image, s.inserted = image, true
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) eject(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Machine.EjectMedia(r.Context()); err != nil {
		s.machineError(w, err)
		return
	}
	s.mu.Lock()
	s.image, s.inserted = "", false
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// patchMedia is the fallback for clients without the actions.
func (s *Server) patchMedia(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Image    *string
		Inserted *bool
	}
	if !decode(w, r, &body) {
		return
	}
	if body.Image != nil && *body.Image != "" && (body.Inserted == nil || *body.Inserted) {
		s.insertImage(w, r, *body.Image)
		return
	}
	s.eject(w, r)
}
