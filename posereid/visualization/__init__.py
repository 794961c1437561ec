from .contact_sheet import draw_contact_sheet, save_world_contact_sheet, world_contact_sheet
from .storyboard import identity_colour, save_video_storyboard, video_storyboard

__all__ = ['draw_contact_sheet', 'world_contact_sheet', 'save_world_contact_sheet',
           'video_storyboard', 'save_video_storyboard', 'identity_colour']
