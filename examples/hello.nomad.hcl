# A first job: one group, one raw_exec task that serves a page on a dynamic port.
# Bridge networking (network { mode = "bridge" }) arrives with the group-network work;
# until then this example uses the host network.
job "hello" {
  datacenters = ["dc1"]
  type        = "service"

  group "web" {
    count = 1

    network {
      port "http" {}
    }

    task "server" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "echo \"hello from ${NOMAD_ALLOC_ID} on port ${NOMAD_PORT_http}\"; exec python3 -m http.server ${NOMAD_PORT_http} --bind ${NOMAD_IP_http}"]
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
