package redfish

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"

	"github.com/stmcginnis/gofish/schemas"
)

// mediaSlot finds (once) the virtual media slot that takes a CD/DVD image:
// under the manager, or under the system on newer BMCs.
func (c *Client) mediaSlot(ctx context.Context, call string) (string, error) {
	c.mu.Lock()
	p := c.quirks.MediaPath
	c.mu.Unlock()
	if p != "" {
		return p, nil
	}
	var collections []string
	if mgr, err := c.managerPath(ctx, call); err == nil {
		collections = append(collections, mgr+"/VirtualMedia")
	}
	if sys, err := c.systemPath(ctx, call); err == nil {
		collections = append(collections, sys+"/VirtualMedia")
	}
	for _, col := range collections {
		links, err := c.members(ctx, call, col)
		if Status(err) == http.StatusNotFound {
			continue
		}
		if err != nil {
			return "", err
		}
		for _, l := range links {
			vm, err := schemas.GetObject[schemas.VirtualMedia](c.gofish(ctx, call), l)
			if err != nil {
				return "", c.fail(call, err)
			}
			types := convert[MediaType](vm.MediaTypes)
			if len(types) > 0 && !slices.Contains(types, MediaCD) && !slices.Contains(types, MediaDVD) {
				continue
			}
			c.learnSlot(l, types, vm.RawData)
			return l, nil
		}
	}
	return "", c.errorf(call, "%w: no virtual media slot takes a CD image", ErrUnsupported)
}

func (c *Client) learnSlot(path string, types []MediaType, raw []byte) {
	var a struct {
		Actions struct {
			Insert struct {
				Target string `json:"target"`
			} `json:"#VirtualMedia.InsertMedia"`
			Eject struct {
				Target string `json:"target"`
			} `json:"#VirtualMedia.EjectMedia"`
		}
	}
	_ = json.Unmarshal(raw, &a) // gofish decoded the same bytes
	c.mu.Lock()
	defer c.mu.Unlock()
	c.quirks.MediaPath, c.quirks.MediaTypes = path, types
	c.quirks.MediaInsertPath = pathOf(a.Actions.Insert.Target)
	c.quirks.MediaEjectPath = pathOf(a.Actions.Eject.Target)
}

type insertBody struct {
	Image          string
	Inserted       *bool `json:",omitempty"`
	WriteProtected *bool `json:",omitempty"`
}

// InsertMedia attaches the ISO at image (an http(s) URL the BMC can reach)
// to the virtual CD and reads it back. Two calls on a standard BMC (POST
// InsertMedia, GET); a BMC that rejects Inserted/WriteProtected costs one
// more the first time, then never again (Quirks.MediaOmitInserted).
func (c *Client) InsertMedia(ctx context.Context, image string) error {
	const call = "insert virtual media"
	slot, err := c.mediaSlot(ctx, call)
	if err != nil {
		return err
	}
	c.mu.Lock()
	omit, insertPath := c.quirks.MediaOmitInserted, c.quirks.MediaInsertPath
	c.mu.Unlock()
	err = c.insert(ctx, call, slot, insertPath, image, omit)
	if Status(err) == http.StatusBadRequest && !omit {
		// Some BMCs (Supermicro among them) refuse the optional fields.
		if err2 := c.insert(ctx, call, slot, insertPath, image, true); err2 == nil {
			c.learn("virtual media insert without Inserted/WriteProtected", func(q *Quirks) { q.MediaOmitInserted = true })
			err = nil
		}
	}
	if err != nil {
		return err
	}
	vm, err := c.readSlot(ctx, call, slot)
	if err != nil {
		return err
	}
	if vm.Image != image || (vm.Inserted != nil && !*vm.Inserted) {
		return c.errorf(call, "%w: the slot reads back image %q", ErrNotApplied, redactImage(vm.Image))
	}
	return nil
}

func (c *Client) insert(ctx context.Context, call, slot, action, image string, omit bool) error {
	body := insertBody{Image: image}
	if !omit {
		yes := true
		body.Inserted, body.WriteProtected = &yes, &yes
	}
	if action == "" {
		_, err := c.do(ctx, request{op: call, method: http.MethodPatch, path: slot, body: body, idempotent: true})
		return err
	}
	_, err := c.do(ctx, request{op: call, method: http.MethodPost, path: action, body: body})
	return err
}

// EjectMedia detaches whatever is in the virtual CD and reads it back. Two
// calls. Ejecting an empty slot is not an error.
func (c *Client) EjectMedia(ctx context.Context) error {
	const call = "eject virtual media"
	slot, err := c.mediaSlot(ctx, call)
	if err != nil {
		return err
	}
	c.mu.Lock()
	ejectPath := c.quirks.MediaEjectPath
	c.mu.Unlock()
	if ejectPath != "" {
		_, err = c.do(ctx, request{op: call, method: http.MethodPost, path: ejectPath, body: struct{}{}})
	} else {
		no := false
		_, err = c.do(ctx, request{op: call, method: http.MethodPatch, path: slot, idempotent: true,
			body: map[string]any{"Image": nil, "Inserted": &no}})
	}
	vm, rerr := c.readSlot(ctx, call, slot)
	if rerr != nil {
		return rerr
	}
	if vm.Image == "" && (vm.Inserted == nil || !*vm.Inserted) {
		return nil // empty, whatever the eject said
	}
	if err != nil {
		return err
	}
	return c.errorf(call, "%w: the slot still holds %q", ErrNotApplied, redactImage(vm.Image))
}

// MediaState reports the image in the virtual CD ("" when empty).
func (c *Client) MediaState(ctx context.Context) (string, error) {
	const call = "read virtual media"
	slot, err := c.mediaSlot(ctx, call)
	if err != nil {
		return "", err
	}
	vm, err := c.readSlot(ctx, call, slot)
	if err != nil {
		return "", err
	}
	if vm.Inserted != nil && !*vm.Inserted {
		return "", nil
	}
	return vm.Image, nil
}

func (c *Client) readSlot(ctx context.Context, call, slot string) (*schemas.VirtualMedia, error) {
	vm, err := schemas.GetObject[schemas.VirtualMedia](c.gofish(ctx, call+": read back"), slot)
	return vm, c.fail(call, err)
}

// redactImage keeps an image URL's scheme and host for error messages: its
// path may be a one-time secret (a per-host ISO holds an installer token).
func redactImage(image string) string {
	u, err := url.Parse(image)
	if err != nil || u.Host == "" {
		if image == "" {
			return ""
		}
		return "(an image URL)"
	}
	if u.Path == "" || u.Path == "/" {
		return u.Scheme + "://" + u.Host + "/"
	}
	return u.Scheme + "://" + u.Host + "/…"
}
