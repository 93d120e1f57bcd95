"""Package data of treaty-assistant (`assistant.shipped.prompts`): this folder is mapped into the
package by pyproject.toml so that an installed wheel finds it through importlib.resources."""
