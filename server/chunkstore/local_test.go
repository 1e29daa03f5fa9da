package chunkstore_test

import (
	"testing"

	"ingot.dev/ingot/server/chunkstore"
	"ingot.dev/ingot/server/chunkstore/chunkstoretest"
)

func TestLocalConformance(t *testing.T) {
	chunkstoretest.Run(t, func(t *testing.T) chunkstore.Store {
		s, err := chunkstore.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
