# reschedule at job level (merged into every group by the server) and a group
# override; restart keeps working beside it.
job "reschedule" {
  datacenters = ["dc1"]

  reschedule {
    delay          = "10s"
    delay_function = "fibonacci"
    max_delay      = "2m"
    unlimited      = true
  }

  group "api" {
    reschedule {
      attempts  = 3
      interval  = "1h"
      delay     = "30s"
      unlimited = false
    }

    restart {
      attempts = 1
      interval = "5m"
      delay    = "10s"
      mode     = "fail"
    }

    task "web" {
      driver = "raw_exec"

      config {
        command = "/bin/sleep"
        args    = ["1000"]
      }
    }
  }

  group "worker" {
    task "work" {
      driver = "raw_exec"

      config {
        command = "/bin/false"
      }
    }
  }
}
