package embedded

import (
	"errors"
	"testing"

	"ragchat/rag"
	"ragchat/search/searchtest"
)

func TestConformance(t *testing.T) {
	searchtest.Run(t, func(t *testing.T) rag.Store {
		s, err := Open(t.TempDir(), Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		})
		return s
	})
}

func isInvalid(err error) bool { return errors.Is(err, rag.ErrInvalid) }
