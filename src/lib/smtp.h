#ifndef KCG_SMTP_H
#define KCG_SMTP_H
#endif
