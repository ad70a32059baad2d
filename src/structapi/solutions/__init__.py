"""Solutions of the chapters' exercises: module chNN, functions exercise_K() computing each answer."""
