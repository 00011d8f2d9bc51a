job "isolated" {
  datacenters = ["dc1"]
  type        = "batch"

  group "g" {
    network {
      mode = "none"
    }

    task "links" {
      driver = "raw_exec"
      config {
        command = "__TESTAPP__"
        args    = ["links"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
