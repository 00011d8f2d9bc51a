job "bridge" {
  datacenters = ["dc1"]

  group "web" {
    network {
      mode = "bridge"
      port "http" {
        to = 18080
      }
    }

    task "server" {
      driver = "raw_exec"
      config {
        command = "__TESTAPP__"
        args    = ["serve", "-listen", ":${NOMAD_PORT_http}"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }

    # A second task of the group reaches the first over loopback.
    task "neighbour" {
      driver = "raw_exec"
      config {
        command = "__TESTAPP__"
        args    = ["dial", "-addr", "127.0.0.1:18080"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }

  # Another group has its own namespace: its loopback is not the web group's.
  group "stranger" {
    network {
      mode = "bridge"
    }

    task "dialer" {
      driver = "raw_exec"
      config {
        command = "__TESTAPP__"
        args    = ["dial", "-addr", "127.0.0.1:18080"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
