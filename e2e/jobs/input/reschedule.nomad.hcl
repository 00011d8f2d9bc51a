job "failing" {
  datacenters = ["dc1"]

  group "g" {
    count = 1

    # Fail the allocation at the first exit: no restarts on the node.
    restart {
      attempts = 0
      mode     = "fail"
    }

    # One replacement, 5s after the failure, then no more.
    reschedule {
      delay          = "5s"
      delay_function = "constant"
      unlimited      = false
      attempts       = 1
      interval       = "1h"
    }

    task "fail" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "echo failing alloc=${NOMAD_ALLOC_ID}; exit 1"]
      }

      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
