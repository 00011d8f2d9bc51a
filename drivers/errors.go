package drivers

import "errors"

// ErrTaskNotFound is returned (wrapped) for task IDs the driver does not know.
var ErrTaskNotFound = errors.New("task not found")
