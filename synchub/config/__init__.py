"""Config: hub, connector, mapping and ledger YAML parsed into typed models (and nothing else).

Errors name the file, line and key path. Turning the models into what runs is the plan
layer's work (:mod:`synchub.plan`).
"""
