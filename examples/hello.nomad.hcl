# A first job: one group in its own network namespace (bridge mode), one raw_exec
# task serving a page on port 8080 inside it. The host reaches it only through the
# mapped port: `nomad alloc status` shows "<host ip>:<port> -> 8080".
job "hello" {
  datacenters = ["dc1"]
  type        = "service"

  group "web" {
    count = 1

    network {
      mode = "bridge"
      port "http" {
        to = 8080
      }
    }

    task "server" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "echo \"hello from ${NOMAD_ALLOC_ID}: ${NOMAD_HOST_ADDR_http} -> ${NOMAD_ALLOC_ADDR_http}\"; exec python3 -m http.server ${NOMAD_PORT_http}"]
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
