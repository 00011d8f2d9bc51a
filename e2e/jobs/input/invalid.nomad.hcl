job "invalid" {
  datacenters = ["dc1"]

  group "api" {
    network {
      mode = "bridge"
      port "http" {
        static = 8080
        to     = -2
      }
    }

    task "web" {
      config {
        command = "/bin/true"
      }
    }
  }
}
