// Package setcheck checks image sets: every variant's image (signature,
// every chunk present and whole), on a schedule and on demand, and records
// the outcome on the set, where deploys and hostgroup assignments look.
package setcheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/internal/periodic"
	"ingot.dev/ingot/server/imagecheck"
	"ingot.dev/ingot/server/store"
)

// Store is where sets are read and their checks recorded.
type Store interface {
	GetImageSet(ctx context.Context, name string) (api.ImageSet, error)
	ListImageSets(ctx context.Context, opt store.ListOptions) (api.Page[api.ImageSet], error)
	RecordImageSetCheck(ctx context.Context, name string, updatedAt time.Time, c api.ImageSetCheck) error
}

// ImageChecker checks one stored image; a broken image is an
// *imagecheck.Error, anything else a failure to check.
type ImageChecker interface {
	CheckImage(ctx context.Context, id string) error
}

// Check checks every variant's image of set (each image once) and returns
// the outcome; the error is for failures to check, not for broken images.
func Check(ctx context.Context, c ImageChecker, set api.ImageSet, now time.Time) (api.ImageSetCheck, error) {
	done := map[string]bool{}
	for _, v := range set.Variants {
		if done[v.Image] {
			continue
		}
		done[v.Image] = true
		err := c.CheckImage(ctx, v.Image)
		var ce *imagecheck.Error
		if errors.As(err, &ce) {
			return api.ImageSetCheck{Time: now, Status: api.CheckFailed, Error: fmt.Sprintf("variant %s: %v", v.Key(), err)}, nil
		}
		if err != nil {
			return api.ImageSetCheck{}, fmt.Errorf("checking image set %s: %w", set.Name, err)
		}
	}
	return api.ImageSetCheck{Time: now, Status: api.CheckOK}, nil
}

// Refusal is the error of a set whose recorded check failed, for deploys and
// assignments to refuse with; empty when the set may be used.
func Refusal(set api.ImageSet) string {
	if set.Check == nil || set.Check.Status != api.CheckFailed {
		return ""
	}
	return fmt.Sprintf("image set %s failed its check at %s: %s; then check it again: ingot imageset check %s",
		set.Name, set.Check.Time.Format(time.RFC3339), set.Check.Error, set.Name)
}

// Scheduler checks every image set every Interval and records the outcome.
type Scheduler struct {
	Store    Store
	Images   ImageChecker
	Interval time.Duration // <= 0: never
	Log      *slog.Logger
	Now      func() time.Time
}

// Run checks all sets at once and then every Interval until ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	return periodic.Run(ctx, s.Interval, s.Log, "checking image sets", s.CheckAll)
}

// CheckAll checks and records every image set; a set that cannot be
// checked is logged and skipped.
func (s *Scheduler) CheckAll(ctx context.Context) error {
	var page api.Page[api.ImageSet]
	for first := true; first || page.NextCursor != ""; first = false {
		var err error
		if page, err = s.Store.ListImageSets(ctx, store.ListOptions{Limit: 100, Cursor: page.NextCursor}); err != nil {
			return fmt.Errorf("listing image sets: %w", err)
		}
		for _, set := range page.Items {
			if _, err := s.CheckOne(ctx, set); err != nil {
				s.Log.Error("checking image set", "set", set.Name, "err", err)
			}
		}
	}
	return nil
}

// CheckOne checks set and records the outcome.
func (s *Scheduler) CheckOne(ctx context.Context, set api.ImageSet) (api.ImageSetCheck, error) {
	c, err := Check(ctx, s.Images, set, s.now())
	if err != nil {
		return c, err
	}
	if c.Status == api.CheckFailed {
		s.Log.Warn("image set failed its check", "set", set.Name, "err", c.Error)
	}
	err = s.Store.RecordImageSetCheck(ctx, set.Name, set.UpdatedAt, c)
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		return c, nil // changed meanwhile: its change was checked, the next round checks it again
	}
	return c, err
}

func (s *Scheduler) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}
