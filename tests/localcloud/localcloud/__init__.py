"""The local OpenStack cloud of coe.magnum's tests: real services on 127.0.0.1, one command to start."""
