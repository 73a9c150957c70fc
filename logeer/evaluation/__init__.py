"""The pilot's evaluation: the caregiver questionnaires before and after a stay (invitations,
answers, consent). The figures made from them are in logeer.stats, the e-mails in logeer.notify."""
