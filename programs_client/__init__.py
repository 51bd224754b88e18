"""Python clients generated from idl/ by `perpkeep codegen`. Do not edit."""
