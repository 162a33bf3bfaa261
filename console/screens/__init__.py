"""Every screen of rowdesk; each module registers its screens with `console.registry.screen`."""
