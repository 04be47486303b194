// Command pause is the e2e node's pod sandbox image (containerd's
// sandbox_image): it holds the pod's namespaces, reaps the zombies it
// inherits and exits on SIGINT or SIGTERM, as registry.k8s.io/pause does.
// `make e2e` builds it into an image with tools/mkimage, so the node never
// pulls anything.
package main
