"""The main job: run the system (`run`), prove nothing was lost (`verify`), show it."""
