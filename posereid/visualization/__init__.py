from .contact_sheet import draw_contact_sheet, save_world_contact_sheet, world_contact_sheet

__all__ = ['draw_contact_sheet', 'world_contact_sheet', 'save_world_contact_sheet']
