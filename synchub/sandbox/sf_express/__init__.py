"""The SF Express (顺丰 丰桥) standard service simulator.

:mod:`.system` registers it (``SYSTEM``); :mod:`.store` holds a customer code's waybills.
"""
