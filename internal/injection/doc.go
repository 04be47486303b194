// Package injection builds the TLS-terminating sidecar that the controller
// injects into a workload's pod template, and judges a workload's current pod
// template against it. It is pure: no API server, no client.
//
// The controller writes the workload with server-side apply under its own
// field manager, so PodTemplate returns an apply configuration of exactly the
// fields the operator owns:
//
//   - the pod template label EndpointLabel (the Service selects on it),
//   - the pod template annotation ConfigHashAnnotation,
//   - one initContainers entry named ContainerName with restartPolicy Always
//     (a Kubernetes native sidecar, Kubernetes 1.29 or later), and
//   - one projected volume named VolumeName with the certificate.
//
// Workload wraps that into the apply configuration of a Deployment,
// StatefulSet or DaemonSet; Workload with a nil template is the empty intent
// whose apply removes exactly those fields again.
//
// Conflicts, DrainExceedsGracePeriod and Injected read a workload's current
// pod template: what would clash with the sidecar, whether the drain fits in
// the grace period, and whether the current configuration is in place.
package injection
