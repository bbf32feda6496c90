package cli

import "errors"

var errNotYet = errors.New("not available in this build")
