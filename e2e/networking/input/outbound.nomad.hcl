job "outbound" {
  datacenters = ["dc1"]

  group "g" {
    network {
      mode = "bridge"
    }

    task "dialer" {
      driver = "raw_exec"
      config {
        command = "__TESTAPP__"
        args    = ["dial", "-addr", "__TARGET__"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
