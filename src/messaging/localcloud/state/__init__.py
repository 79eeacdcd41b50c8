"""The local cloud's state on disk: a gate for consistent snapshots (`gate`), the
snapshot itself (`snapshot`), and the state directory of `messaging up` (`persistence`).
"""
