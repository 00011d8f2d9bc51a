job "unplaceable" {
  datacenters = ["dc1"]

  group "g" {
    constraint {
      attribute = "${attr.kernel.name}"
      value     = "windows"
    }

    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
    }
  }
}
