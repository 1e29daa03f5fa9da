package assemble

import "ingot.dev/ingot/image/kernel"

// Kernel is the kernel an image boots and its initrd, as paths in the tree.
type Kernel = kernel.Kernel

// ErrNoKernel is returned for a tree without a kernel and initrd to boot.
var ErrNoKernel = kernel.ErrNoKernel

// FindKernel finds the newest kernel in tree; see kernel.Find.
func FindKernel(tree string) (Kernel, error) { return kernel.Find(tree) }
